// The poll loop of one worker lcore: rx burst -> pipeline stages -> tx, draining the TAP inject
// rings of its ports, reporting an RCU quiescent state once per loop, and backing off to short
// sleeps when idle (af_packet/af_xdp/memif have no Rx interrupts in DPDK 22.11).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/runtime/switch_instance.h"
#include "dataplane/stages/copp.h"

namespace weft::dp {

struct WorkerQueue {
  SwitchInstance* sw = nullptr;
  uint16_t port = 0;  // switch-local port index
  uint16_t rx_queue = 0;
};

struct WorkerContext {
  uint32_t worker_index = 0;        // QSBR thread id and per-lcore counter slot
  std::vector<WorkerQueue> queues;  // what this worker polls
  const std::atomic<bool>* stop = nullptr;
  // Idle back-off: after `idle_spins` empty loops sleep, doubling from 1 us up to max_sleep_us.
  // 1 ms keeps an idle data plane (now also polling TM hand-off rings and delay lines) well under
  // 5% of a core; the first packet after an idle spell waits at most that long.
  uint32_t idle_spins = 256;
  uint32_t max_sleep_us = 1000;
  // Control-plane policing rates per punt class (each worker polices what it punts).
  CoppConfig copp;
};

// Runs until *ctx->stop. Signature fits rte_eal_remote_launch (arg is a WorkerContext*).
int RunWorker(void* ctx);

}  // namespace weft::dp

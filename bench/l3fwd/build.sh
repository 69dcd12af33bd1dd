#!/usr/bin/env bash
# Builds DPDK's own l3fwd (Debian's dpdk-doc examples) as the benchmark peer, in OUT_DIR.
# Debian ships the sources; we never commit them. The copy is patched so it runs on the
# in-memory harness and holds an Internet-sized table:
#  - Rx offloads masked by the device's capabilities (it asks for Rx checksum offload, which
#    net_pcap/net_null lack, and rte_eth_dev_configure then refuses the port);
#  - LPM sized for 1M rules, FIB for 2M routes (defaults: 1,024 and 65,536);
#  - an mbuf pool large enough for net_pcap's infinite_rx, which preloads every packet of the
#    pcap into mbufs (128k flows = 128k mbufs; the default pool has 8,192);
#  - no per-route printf (1M lines of "Adding route" would dominate its start-up).
# Usage: build.sh OUT_DIR [MARCH]   (prints the path of the binary on its last line)
# MARCH: the -march weft-dataplane is really compiled with, so both get the same code generation;
# empty keeps l3fwd's stock flags (pkg-config's -march=corei7).
set -euo pipefail

out_dir=${1:?usage: build.sh OUT_DIR [MARCH]}
march=${2:-}
src=/usr/share/dpdk/examples/l3fwd
common=/usr/share/dpdk/examples/common
[[ -f $src/main.c ]] || { echo "l3fwd sources missing: install dpdk-doc" >&2; exit 1; }

stamp="$out_dir/.patched-$(md5sum "$0" | cut -c1-12)-${march:-stock}"
binary="$out_dir/l3fwd/build/l3fwd"
if [[ -f $stamp && -x $binary ]]; then
  echo "$binary"
  exit 0
fi

rm -rf "$out_dir/l3fwd" "$out_dir/common" "$out_dir"/.patched-*
mkdir -p "$out_dir"
cp -r "$src" "$out_dir/l3fwd"
cp -r "$common" "$out_dir/common"
cd "$out_dir/l3fwd"

# Applies one sed expression to FILE and fails unless it changed something, so a different
# l3fwd version stops the build instead of silently benchmarking an unpatched peer.
patch_line() {
  local file=$1 expr=$2 before
  before=$(md5sum "$file")
  sed -i -e "$expr" "$file"
  if [[ $(md5sum "$file") == "$before" ]]; then
    echo "l3fwd patch did not apply to $file: $expr" >&2
    exit 1
  fi
}

# Rx offloads: mask the port-level request and the per-queue request by what the device offers.
patch_line main.c 's|^\(\t\t\)ret = config_port_max_pkt_len(&local_port_conf, &dev_info);|\1local_port_conf.rxmode.offloads \&= dev_info.rx_offload_capa;\n&|'
patch_line main.c 's|rxq_conf.offloads = port_conf.rxmode.offloads;|rxq_conf.offloads = port_conf.rxmode.offloads \& dev_info.rx_offload_capa;|'
# mbuf pool floor (compile-time, see CFLAGS below).
patch_line main.c 's|(unsigned)8192)|(unsigned)L3FWD_MIN_MBUFS)|'
# Table sizes.
patch_line l3fwd_lpm.c 's|^#define IPV4_L3FWD_LPM_MAX_RULES .*|#define IPV4_L3FWD_LPM_MAX_RULES (1 << 21)|'
patch_line l3fwd_lpm.c 's|^#define IPV4_L3FWD_LPM_NUMBER_TBL8S .*|#define IPV4_L3FWD_LPM_NUMBER_TBL8S (1 << 16)|'
patch_line l3fwd_fib.c 's|config_ipv4.max_routes = (1 << 16);|config_ipv4.max_routes = (1 << 21);|'
patch_line l3fwd_fib.c 's|config_ipv4.dir24_8.num_tbl8 = (1 << 15);|config_ipv4.dir24_8.num_tbl8 = (1 << 16);|'
# Quiet route set-up.
patch_line l3fwd_fib.c 's|printf("FIB: |if (0) printf("FIB: |'
patch_line l3fwd_lpm.c 's|printf("LPM: Adding|if (0) printf("LPM: Adding|'

# A line appended to the Makefile's CFLAGS: after pkg-config's, so its -march wins.
# -g: debug info only (same code), so perf can name the source of its samples as for Weft.
extra="-g -DL3FWD_MIN_MBUFS=262144${march:+ -march=$march}"
patch_line Makefile "s|^CFLAGS += -I../common\$|&\nCFLAGS += $extra|"
make -s -j2 shared >build.log 2>&1 || {
  cat build.log >&2
  exit 1
}
touch "$stamp"
echo "$binary"

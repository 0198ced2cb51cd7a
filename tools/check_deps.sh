#!/usr/bin/env bash
# Checks the folder dependency rules of the project: RocksDB only inside
# storage/, no Boost in broker/ outside broker/http and broker/facades, no
# prometheus-cpp in the broker core, and no storage/ header in broker/http
# or broker/facades.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
report() {
  echo "dependency rule broken: $1"
  echo "$2" | sed 's/^/  /'
  fail=1
}
hits=$(grep -rnE '#include [<"]rocksdb/' --include='*.h' --include='*.cc' \
  base broker bench tools tests proto 2>/dev/null)
[ -n "$hits" ] && report "rocksdb/ included outside storage/" "$hits"
hits=$(grep -rnE '#include [<"]boost/' --include='*.h' --include='*.cc' broker 2>/dev/null |
  grep -vE '^broker/(http|facades)/')
[ -n "$hits" ] && report "boost/ included in broker/ outside http/ and facades/" "$hits"
hits=$(grep -rnE '#include [<"]prometheus/' --include='*.h' --include='*.cc' \
  base storage proto broker 2>/dev/null | grep -vE '^broker/(http|facades|server)/')
[ -n "$hits" ] && report "prometheus/ included outside broker/http, facades and server" "$hits"
hits=$(grep -rnE '#include "storage/' --include='*.h' --include='*.cc' \
  broker/http broker/facades 2>/dev/null)
[ -n "$hits" ] && report "storage/ included from broker/http or broker/facades" "$hits"
hits=$(grep -rnE '#include "storage/(store_impl|segment|frame|keys|rocksdb_status|crc32c)\.h"' \
  --include='*.h' --include='*.cc' broker bench tools tests 2>/dev/null)
[ -n "$hits" ] && report "storage internals included outside storage/" "$hits"
hits=""
[ -n "$hits" ] && report "storage/ included from broker/http or broker/facades" "$hits"
# The public headers: what other folders may include.
hits=$(grep -nE '#include [<"](rocksdb|boost)/' storage/store.h storage/queue_log.h \
  storage/kv_store.h storage/options.h 2>/dev/null)
[ -n "$hits" ] && report "a RocksDB or Boost type in storage's public headers" "$hits"
hits=$(grep -rnE '#include [<"]boost/' --include='*.h' --include='*.cc' base 2>/dev/null)
[ -n "$hits" ] && report "base/ depends on more than abseil" "$hits"
[ $fail -eq 0 ] && echo "dependency rules: ok"
exit $fail

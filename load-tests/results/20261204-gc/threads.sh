#!/bin/bash
# usage: threads.sh PID SECONDS -> each thread name's CPU over the interval, in % of one core
pid=$1; s=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
snap() { for t in /proc/$pid/task/*; do n=$(tr " " "_" < $t/comm 2>/dev/null); st=$(cut -d')' -f2 $t/stat 2>/dev/null); set -- $st; echo "$(basename $t) $((${12}+${13})) $n"; done; }
snap > "$tmp/a"; sleep "$s"; snap > "$tmp/b"
join <(sort "$tmp/a") <(sort "$tmp/b") | awk -v s=$s '{d=$4-$2; name=$3; gsub(/-?[0-9]+$/,"",name); cpu[name]+=d} END {for (n in cpu) if (cpu[n]>0) printf "%6.1f%% %s\n", cpu[n]*100/(100*s), n}' | sort -rn

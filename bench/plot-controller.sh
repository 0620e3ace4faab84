#!/usr/bin/env bash
# Plots a CSV written by bench/controller.sh (CSV=...): time from start to all
# Ready and peak RSS against the number of ExternalSecrets, one line per
# controller (ecrhelm, ESO), log-log. Needs gnuplot (Debian: gnuplot-nox).
# Usage: bench/plot-controller.sh [CSV] [PNG]
#   defaults: bench/controller-vs-eso.csv -> the same name with .png
set -euo pipefail
CSV=${1:-$(dirname "$0")/controller-vs-eso.csv}
PNG=${2:-${CSV%.csv}.png}
command -v gnuplot >/dev/null || { echo "plot-controller: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 2; }
[ -r "$CSV" ] || { echo "plot-controller: cannot read $CSV: run bench/controller.sh with CSV=$CSV first" >&2; exit 2; }
head -1 "$CSV" | grep -q '^controller,n,run,ready_s,ecr_calls,peak_rss_kib' ||
  { echo "plot-controller: $CSV is not a bench/controller.sh CSV (header differs)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One data file per controller: n, median ready_s, median peak RSS (MiB) over runs.
for c in $(tail -n +2 "$CSV" | cut -d, -f1 | sort -u); do
  awk -F, -v c="$c" 'NR > 1 && $1 == c { print $2, $4, $6 / 1024 }' "$CSV" | sort -n -k1,1 -k2,2 |
    awk '{ n[$1] = n[$1] " " $2 ":" $3 } END { for (k in n) { m = split(substr(n[k], 2), v, " ");
           split(v[int((m + 1) / 2)], p, ":"); print k, p[1], p[2] } }' | sort -n >"$tmp/$c.dat"
done
plots_ready="" plots_rss=""
for f in "$tmp"/*.dat; do
  c=$(basename "$f" .dat)
  plots_ready+="${plots_ready:+, }'$f' using 1:2 with linespoints lw 2 pt 7 title '$c'"
  plots_rss+="${plots_rss:+, }'$f' using 1:3 with linespoints lw 2 pt 7 title '$c'"
done
gnuplot <<GP
set terminal pngcairo size 1100,450 font ",11"
set output "$PNG"
set multiplot layout 1,2 title "ecrhelm controller vs ESO v0.16.2 ($(basename "$CSV"))"
set logscale xy
set grid
set key top left
set xlabel "ExternalSecrets"
set ylabel "seconds from start to all Ready"
plot $plots_ready
set ylabel "peak RSS (MiB)"
plot $plots_rss
unset multiplot
GP
echo "$PNG"

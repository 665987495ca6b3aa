#!/bin/sh
# Entrypoint of the jupyter target. Jupyter never runs without a token here:
#  - JUPYTER_TOKEN set and non-empty: that token;
#  - JUPYTER_TOKEN unset or empty: unset, so Jupyter generates a random token (printed in the log,
#    listed by `jupyter server list`);
#  - a command line that sets an empty token or password (--IdentityProvider.token=, --ServerApp.token='',
#    --NotebookApp.token= …): refused with exit 2.
# Any other command (e.g. `gpuprobe check`) runs as given.
set -eu
if [ -z "${JUPYTER_TOKEN:-}" ]; then
  unset JUPYTER_TOKEN
fi
prev=""
for arg in "$@"; do
  case "$arg" in
    --*.token=|--*.token=\"\"|--*.token=\'\'|--*.password=|--*.password=\"\"|--*.password=\'\')
      echo "jupyter-start: refusing '$arg': Jupyter must not run without a token (set JUPYTER_TOKEN or let Jupyter generate one)" >&2
      exit 2 ;;
  esac
  case "$prev" in
    --*.token|--*.password)
      if [ -z "$arg" ]; then
        echo "jupyter-start: refusing an empty $prev: Jupyter must not run without a token" >&2
        exit 2
      fi ;;
  esac
  prev="$arg"
done
exec "$@"

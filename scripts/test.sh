#!/usr/bin/env bash
# Set everything up and run the whole test suite.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python -m pytest "$@"

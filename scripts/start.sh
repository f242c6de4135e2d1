#!/usr/bin/env bash
# Set everything up, ingest the bundled sample articles, and ask Sanad a question in each language.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python -m ingest samples
python -m rag ask "What did the minister say about the water project?"
python -m rag ask "ماذا قال الوزير عن مشروع المياه؟"

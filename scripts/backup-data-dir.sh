#!/bin/sh
# Backs up a tlogistry data directory while the service runs (docs/OPERATIONS.md, Backup):
#   scripts/backup-data-dir.sh DATA_DIR BACKUP_DIR [POSTGRES_URL]
# Order matters: the store first, then the log. The store remembers the log's checkpoint, and a
# log older than that memory stops the start; a log newer than the store is re-indexed at start.
#   1. the instance key (signing-key.pem), copied as is;
#   2. the store: index.db through SQLite's online backup (a plain copy of a WAL database in use
#      can be torn), or, given POSTGRES_URL, pg_dump of the shared store;
#   3. the embedded log (DATA_DIR/log): its tiles and checkpoint are files written durably, the
#      checkpoint replaced atomically, but each new checkpoint lets the service delete partial
#      tiles the previous one needed. So the directory is copied between two reads of the
#      checkpoint, and copied again until no checkpoint was published during the copy; tiles
#      beyond the copied checkpoint are cut back when the copy is opened. A copy that fails because
#      a file vanished under it (a temporary file renamed into place) is a write during the copy
#      too, and is taken again.
set -eu
data=$1
backup=$2
postgres=${3:-}
mkdir -p "$backup"

if [ -f "$data/signing-key.pem" ]; then
  cp -p "$data/signing-key.pem" "$backup/signing-key.pem"
fi

if [ -n "$postgres" ]; then
  pg_dump --format=custom --file="$backup/store.pgdump" "$postgres"
elif [ -f "$data/index.db" ]; then
  rm -f "$backup/index.db"
  sqlite3 "$data/index.db" ".backup '$backup/index.db'"
fi

if [ -d "$data/log" ]; then
  attempts=0
  while :; do
    before=$(cat "$data/log/checkpoint" 2>/dev/null || true)
    rm -rf "$backup/log.partial"
    copy_ok=yes
    cp -pR "$data/log" "$backup/log.partial" 2>"$backup/log.copy-errors" || copy_ok=no
    after=$(cat "$data/log/checkpoint" 2>/dev/null || true)
    copied=$(cat "$backup/log.partial/checkpoint" 2>/dev/null || true)
    if [ "$copy_ok" = yes ] && [ "$before" = "$after" ] && [ "$before" = "$copied" ]; then
      rm -f "$backup/log.copy-errors"
      break
    fi
    attempts=$((attempts + 1))
    if [ "$attempts" -ge 20 ]; then
      cat "$backup/log.copy-errors" >&2
      echo "backup-data-dir: the log kept growing during 20 copies; take a volume snapshot or stop the writer" >&2
      exit 1
    fi
    sleep 1
  done
  rm -rf "$backup/log"
  mv "$backup/log.partial" "$backup/log"
fi

echo "backup-data-dir: $data backed up to $backup"

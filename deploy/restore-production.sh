#!/bin/sh
# Restore a backup-production.sh FOLDER into an empty database and an empty bucket, then bring
# the schema up to this voicebox's revision. The same variables as backup-production.sh, naming
# the targets; the database must exist and be empty (createdb NAME).
set -eu
folder=${1:?usage: restore-production.sh FOLDER}
pg_restore --no-owner --no-privileges --exit-on-error \
    --dbname="${BACKUP_DATABASE_URL:?set BACKUP_DATABASE_URL}" "$folder/voicebox.dump"
rclone copy --fast-list --checksum "$folder/blobs" "voicebox:${VOICEBOX_S3_BUCKET:?set VOICEBOX_S3_BUCKET}"
voicebox db upgrade
echo "restored $folder"

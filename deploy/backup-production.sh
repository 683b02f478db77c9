#!/bin/sh
# Back up a production voicebox into FOLDER: the database with pg_dump (custom format, taken in
# one transaction while the service runs), then the bucket with rclone. Extra arguments go to
# pg_dump (for example --schema=NAME).
#
#   BACKUP_DATABASE_URL           libpq URL of the database (postgresql://user:password@host/db)
#   VOICEBOX_S3_BUCKET            the bucket
#   RCLONE_CONFIG_VOICEBOX_*      the bucket's store, as an rclone remote named "voicebox"
#                                 (TYPE=s3, PROVIDER, ENDPOINT, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
#
# The dump is taken first: a blob written later belongs to no row of the dump (the blob sweep
# removes it after a restore); one deleted in between belonged to a row deleted after the dump.
set -eu
folder=${1:?usage: backup-production.sh FOLDER [pg_dump options]}
shift
umask 077
mkdir -p "$folder"
pg_dump --format=custom --no-owner --no-privileges --file="$folder/voicebox.dump" "$@" \
    "${BACKUP_DATABASE_URL:?set BACKUP_DATABASE_URL}"
rclone sync --fast-list --checksum "voicebox:${VOICEBOX_S3_BUCKET:?set VOICEBOX_S3_BUCKET}" "$folder/blobs"
echo "backed up to $folder: voicebox.dump and blobs/"

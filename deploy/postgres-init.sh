#!/bin/sh
# Runs once on an empty volume (docker-entrypoint-initdb.d).
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" \
  -v migrate_password="$WARDGATE_MIGRATE_PASSWORD" -v app_password="$WARDGATE_APP_PASSWORD" \
  -f /docker-entrypoint-initdb.d/postgres-init.sql.in
for db in wardgate_appointments wardgate_screening wardgate_discharge; do
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$db" <<SQL
ALTER DEFAULT PRIVILEGES FOR ROLE wardgate_migrate IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO wardgate_app;
ALTER DEFAULT PRIVILEGES FOR ROLE wardgate_migrate IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO wardgate_app;
GRANT USAGE ON SCHEMA public TO wardgate_app;
GRANT CREATE ON SCHEMA public TO wardgate_migrate;
SQL
done

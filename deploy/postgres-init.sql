-- One database per service, owned by the migrate role; the services connect as
-- wardgate_app, which may read and write but (granted in migrations) never UPDATE or
-- DELETE audit rows.
CREATE ROLE wardgate_migrate LOGIN PASSWORD :'migrate_password';
CREATE ROLE wardgate_app LOGIN PASSWORD :'app_password';
CREATE DATABASE wardgate_appointments OWNER wardgate_migrate;
CREATE DATABASE wardgate_screening OWNER wardgate_migrate;
CREATE DATABASE wardgate_discharge OWNER wardgate_migrate;

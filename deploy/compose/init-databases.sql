-- One database per service (run once by the postgres image on an empty data directory).
-- Each service owns its database; none reads another's tables.
CREATE DATABASE identity OWNER portal;
CREATE DATABASE members OWNER portal;
CREATE DATABASE workforce OWNER portal;
CREATE DATABASE scheduling OWNER portal;
CREATE DATABASE billing OWNER portal;

"""Personal data and accountability: the audit log's pages (team admins, operator), a person's
export and erasure of their data, the retention jobs. Above every app it reads; none imports it."""

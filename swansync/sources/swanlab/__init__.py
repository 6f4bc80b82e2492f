"""Everything SwanLab: the cloud/self-hosted OpenAPI (:mod:`.cloud`), local log folders
(:mod:`.logdir`) and the offline dashboard (:mod:`.dashboard`). What the two local sources share
(project and run records from local data, status codes, times) is in :mod:`.local`."""

"""QA over many replies: input formats (one registry), the streaming runner of `tactful
batch`, background jobs of `POST /v1/batches`, the report builder and its HTML page, and the
optional model-graded judge."""

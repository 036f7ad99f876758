"""One APIRouter per resource: status, search (search, ask, similar), documents, jobs."""

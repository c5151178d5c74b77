"""REST API (django-ninja) under /api/."""
from ninja import NinjaAPI

api = NinjaAPI(title="Stockbook API", version="1", urls_namespace="api")

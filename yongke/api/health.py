"""`GET /api/v1/health`: the liveness answer a load balancer (and the list benchmark's baseline) asks for."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["health"])


class HealthOut(Schema):
    status: str
    database: bool


@router.get("/health", auth=None, response={200: HealthOut}, summary="运行状态 / liveness: the process answers and reaches its database")
def health(request: HttpRequest):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        database = cursor.fetchone() == (1,)
    return {"status": "ok", "database": database}

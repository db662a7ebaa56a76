import time
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from cases import workflow
from django.contrib.auth import get_user_model

@pytest.mark.django_db(transaction=True)
def test_probe(world, file_case):
    case = file_case("dismissal")
    uid = world.users["clerk"].pk
    def run(n):
        for _ in range(n):
            user = get_user_model().objects.get(pk=uid)
            workflow.perform(case_id=case.pk, user=user, action=workflow.RECORD_VOTE,
                data={"members": 9, "present": 9, "votes_for": 7, "votes_against": 2})
    run(5)
    for _ in range(3):
        t = time.perf_counter(); run(100); print("per tx ms", (time.perf_counter()-t)*10)
    user = get_user_model().objects.get(pk=uid)
    with CaptureQueriesContext(connection) as ctx:
        workflow.perform(case_id=case.pk, user=user, action=workflow.RECORD_VOTE,
            data={"members": 9, "present": 9, "votes_for": 7, "votes_against": 2})
    for q in ctx.captured_queries:
        print(q["time"], q["sql"][:150])

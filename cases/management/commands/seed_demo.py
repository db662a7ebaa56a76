"""Demo data for a local run: the demo organisation, users and a few live cases.

Never run outside demo use; ``make run`` calls it. Idempotent.
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.models import Case, CatalogVersion, Form
from cases.ops.demo import build_demo_world, build_two_track_world, seed_two_track_case
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from cases.workflow.deadlines import WorkingCalendar


class Command(BaseCommand):
    help = "Create the demo organisation, users (password DEMO_PASSWORD) and sample cases."

    def handle(self, *args: Any, **options: Any) -> None:
        if not CatalogVersion.objects.filter(is_current=True).exists():
            call_command("load_catalog", stdout=self.stdout)
        world = build_demo_world()
        if not Case.objects.exists():
            calendar = WorkingCalendar()
            today = timezone.localdate()
            twelve_working_days_ago = calendar.subtract_working_days(today, 12)
            services.file_case(
                form=Form.RESIGNATION,
                official=world.official_deputy,
                position=world.post_deputy,
                ground_codes=["R377-R-4"],
                statement="Xin từ chức vì lý do sức khỏe và hoàn cảnh gia đình.",
                by=world.users["clerk_commune"],
                filed_on=max(twelve_working_days_ago, datetime.date(2025, 10, 8)),
            )
            services.file_case(
                form=Form.DISMISSAL,
                official=world.official_other,
                position=world.post_other,
                ground_codes=["R377-D-4"],
                statement="Hai năm liên tiếp không hoàn thành nhiệm vụ.",
                by=world.users["clerk_other"],
            )
            district_case = services.file_case(
                form=Form.RESIGNATION,
                official=world.official_district,
                position=world.post_district,
                ground_codes=["R41-R-1"],
                statement="Đơn xin từ chức nộp trước khi sáp nhập đơn vị hành chính.",
                by=world.users["clerk"],
                filed_on=datetime.date(2024, 3, 1),
            )
            # The district ended on 30/06/2025: the province's clerk takes the waiting
            # step over (an audited reassignment, docs/collectives.md).
            workflow.perform(
                case_id=district_case.pk,
                user=world.users["clerk"],
                action=workflow.TAKE_OVER,
                data={"unit": world.province.pk},
                reason="Huyện Bảo Thắng kết thúc hoạt động từ 01/07/2025; tỉnh tiếp nhận hồ sơ.",
            )
        # Issue 13: the commune chair's resignation through the Party committee and then
        # the People's Council, with both tracks moved (MDL-TRK-4).
        seed_two_track_case(build_two_track_world(world))
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready. Users: admin, clerk, clerk_commune, clerk_party, authority, deputy, "
                f"authority_party, official, auditor, clerk_other, auditor_other, clerk_muonghum, chair_council, clerk_department — password: {settings.DEMO_PASSWORD}"
            )
        )

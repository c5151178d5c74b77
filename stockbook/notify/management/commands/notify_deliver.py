"""`stockbook manage notify_deliver`: send the due notification deliveries once (for cron, or by hand).
The huey job calls the same function, stockbook.notify.deliver_pending()."""
from django.core.management.base import BaseCommand

from stockbook.notify import deliver_pending


class Command(BaseCommand):
    help = "Send due notification deliveries (first attempts and retries whose backoff has passed)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args, limit, **options):
        counts = deliver_pending(limit=limit)
        self.stdout.write("sent={sent} retry={retry} failed={failed}".format(**counts))

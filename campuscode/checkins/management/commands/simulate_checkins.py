from django.core.management.base import BaseCommand, CommandError

from campuscode.checkins.simulation import simulate


class Command(BaseCommand):
    help = (
        "Replay a school day of check-ins for a generated school through the real pages "
        "(honest students on campus Wi-Fi, dormitory NATs and mobile data, plus a share of "
        "each kind of cheat) and print how many cheats were blocked or flagged and how many "
        "honest check-ins were flagged. Nothing is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=300)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--cheat-share",
            type=float,
            default=0.1,
            help="share of the people who cheat, split evenly over the kinds of cheat",
        )

    def handle(self, *args, people: int, seed: int, cheat_share: float, **options):
        if people < 10 or people > 20000:
            raise CommandError("--people must be between 10 and 20000")
        if not 0 <= cheat_share <= 0.5:
            raise CommandError("--cheat-share must be between 0 and 0.5")
        try:
            report = simulate(people=people, seed=seed, cheat_share=cheat_share)
        except RuntimeError as problem:
            raise CommandError(str(problem)) from None
        for line in report.lines():
            self.stdout.write(line)

from django.apps import AppConfig


class FollowingConfig(AppConfig):
    name = "following"
    verbose_name = "关注与提醒 / Following"

    def ready(self) -> None:
        from following import selectors
        from notifications import audiences

        # Who hears about a round (notifications.audiences): its bidders, its reminders, its lot's watchers.
        audiences.register("round", "following.followers", selectors.round_followers)
        audiences.register("round_winner", "following.winner", selectors.round_winner)
        audiences.register("round_bidders", "following.bidders", selectors.round_bidders)

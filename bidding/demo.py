"""Demo data of this app, loaded by `manage.py load_demo` (see auction_site/management/commands/load_demo.py)."""


def load(stdout=None) -> None:
    return None

"""Progress lines: enough to see a long run move, never one per item."""

from gleaner.progress import Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_at_each_quarter_and_none_in_between_when_fast():
    lines: list[str] = []
    progress = Progress(lines.append, "pages fetched", 100, interval=60, clock=FakeClock())
    for _ in range(100):
        progress.advance()
    assert lines == [
        "pages fetched: 25 of 100 (25%)",
        "pages fetched: 50 of 100 (50%)",
        "pages fetched: 75 of 100 (75%)",
        "pages fetched: 100 of 100 (100%)",
    ]


def test_slow_work_logs_at_most_once_per_interval():
    lines: list[str] = []
    clock = FakeClock()
    progress = Progress(lines.append, "texts voted", 1000, interval=10, clock=clock)
    for _ in range(200):  # 200 items over 100 s, under a quarter of the total
        clock.now += 0.5
        progress.advance(detail="2 failed")
    assert len(lines) == 10
    assert lines[0] == "texts voted: 20 of 1000 (2%); 2 failed"


def test_without_a_total_only_time_triggers_a_line():
    lines: list[str] = []
    clock = FakeClock()
    progress = Progress(lines.append, "records", None, interval=5, clock=clock)
    for _ in range(10):
        progress.advance()
    clock.now = 6
    progress.advance()
    assert lines == ["records: 11"]


def test_a_budget_larger_than_the_work_caps_at_the_quarters_reached():
    lines: list[str] = []
    progress = Progress(lines.append, "pages", 60, interval=60, clock=FakeClock())
    for _ in range(31):
        progress.advance()
    assert [line.split(":")[1].strip() for line in lines] == ["15 of 60 (25%)", "30 of 60 (50%)"]

"""The limiter keeps every window, not just the average: overall, per private chat, per group."""

from __future__ import annotations

import asyncio

import pytest

from notifiers.rate_limit import ChatLimits, ChatRateLimiter, SlidingWindow


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def _max_in(times: list[float], window: float) -> int:
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t < start + window))
    return best


async def _grants(limiter: ChatRateLimiter, fake: FakeTime, chats: list[int]) -> list[float]:
    granted = []
    for chat in chats:
        async with limiter.slot(chat):
            granted.append(fake.now)
    return granted


async def test_one_private_chat_gets_one_message_a_second():
    fake = FakeTime()
    limiter = ChatRateLimiter(ChatLimits(margin=0.05), clock=fake.clock, sleep=fake.sleep)
    times = await _grants(limiter, fake, [7] * 5)
    assert [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)] == [1.05] * 4
    assert _max_in(times, 1.0) == 1
    assert _max_in(times, 1.0) == 1


async def test_many_chats_share_thirty_a_second():
    fake = FakeTime()
    limiter = ChatRateLimiter(ChatLimits(), clock=fake.clock, sleep=fake.sleep)
    times = await _grants(limiter, fake, list(range(1, 301)))
    assert _max_in(times, 1.0) == 30
    # And it is not slower than it must be: 300 messages in a little over 9 windows.
    assert times[-1] == pytest.approx(9.0)


async def test_a_group_gets_twenty_a_minute_and_one_a_second():
    fake = FakeTime()
    limiter = ChatRateLimiter(ChatLimits(), clock=fake.clock, sleep=fake.sleep)
    times = await _grants(limiter, fake, [-100] * 45)
    assert _max_in(times, 60.0) == 20
    assert _max_in(times, 1.0) == 1
    # Private chats interleaved with the group are not held up by the group's minute.
    fake2 = FakeTime()
    mixed = ChatRateLimiter(ChatLimits(), clock=fake2.clock, sleep=fake2.sleep)
    await _grants(mixed, fake2, [-100] * 20)
    before = fake2.now
    await mixed.acquire(5)
    assert fake2.now == before


async def test_retry_after_holds_the_chat_and_a_flood_holds_everyone():
    fake = FakeTime()
    limiter = ChatRateLimiter(ChatLimits(), clock=fake.clock, sleep=fake.sleep)
    limiter.retry_after(1, 3)
    assert limiter.delay(1) == pytest.approx(3.0)
    assert limiter.delay(2) == 0  # one busy chat does not stop the others
    for chat in (2, 3, 4):
        limiter.retry_after(chat, 5)
    assert limiter.delay(99) == 0  # four chats: could still be four busy chats
    limiter.retry_after(5, 5)  # five chats told to wait within a second: a bot-wide flood
    assert limiter.delay(99) == pytest.approx(5.0)
    async with limiter.slot(99):
        assert fake.now == pytest.approx(5.0)


async def test_shrunk_time_for_tests_keeps_the_same_shape():
    fake = FakeTime()
    limiter = ChatRateLimiter(ChatLimits(second=0.01, margin=0.0), clock=fake.clock, sleep=fake.sleep)
    times = await _grants(limiter, fake, [7, 7, 7])
    assert times == pytest.approx([0.0, 0.01, 0.02])


async def test_a_slow_request_keeps_its_slot_until_it_is_over():
    """The server may stamp a message any time before its answer: the slot counts from the end."""
    fake = FakeTime()
    limiter = ChatRateLimiter(ChatLimits(), clock=fake.clock, sleep=fake.sleep)
    await limiter.acquire(7)
    fake.now = 0.8  # the answer comes late; the server may have accepted it just now
    assert limiter.delay(7) > 0  # still in flight: no second message to the chat
    limiter.release(7)
    assert limiter.delay(7) == pytest.approx(1.0)  # a full second after the first one ended


def test_sliding_window_and_limits_validate():
    window = SlidingWindow(2, 1.0)
    window.take()
    window.release(0.0)
    window.take()
    window.release(0.5)
    assert window.wait(0.6) == pytest.approx(0.4)
    assert window.wait(1.0) == 0
    window.take()
    window.take()
    assert window.wait(1.2) > 0  # two in flight fill it
    with pytest.raises(ValueError):
        ChatLimits(chat_per_second=0)
    with pytest.raises(ValueError):
        ChatLimits(margin=1.5)


class ManualTime:
    """A clock the test sets by hand; sleepers wake only when the test wakes them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleepers: list[asyncio.Future[None]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        self.sleepers.append(woken)
        await woken

    async def wake_all(self) -> None:
        sleepers, self.sleepers = self.sleepers, []
        for woken in sleepers:
            woken.set_result(None)
        for _ in range(3):  # let the woken ones run up to their next sleep
            await asyncio.sleep(0)


async def test_a_request_waiting_its_turn_is_not_overtaken_by_a_later_one():
    """Free seconds go in the order requests asked for them: no chat is starved by newcomers."""
    manual = ManualTime()
    limiter = ChatRateLimiter(ChatLimits(overall_per_second=1), clock=manual.clock, sleep=manual.sleep)
    async with limiter.slot(1):
        pass  # this second's one message
    waiting = asyncio.create_task(limiter.acquire(2))  # asks now: its turn comes in a second
    await asyncio.sleep(0)
    assert not waiting.done()
    manual.now = 1.0  # the second has passed; the waiting request has not woken up yet
    late = asyncio.create_task(limiter.acquire(3))  # asks later, but looks first
    await asyncio.sleep(0)
    assert not late.done() and limiter.delay(4) > 0  # the free slot is not for the newcomer
    await manual.wake_all()
    assert waiting.done() and not late.done()
    limiter.release(2)
    manual.now = 2.0
    await manual.wake_all()
    assert late.done()


async def test_scattered_refusals_among_many_sends_hold_only_their_own_chats():
    fake = FakeTime()
    limiter = ChatRateLimiter(ChatLimits(), clock=fake.clock, sleep=fake.sleep)
    await _grants(limiter, fake, list(range(100, 125)))  # 25 messages went out this second
    for chat in (1, 2, 3, 4, 5):  # and five chats were told to wait
        async with limiter.slot(chat) as slot:
            slot.refused = True
        limiter.retry_after(chat, 5)
    assert limiter.delay(1) == pytest.approx(5.0)
    assert limiter.delay(99) == 0  # one answer in six refused: busy chats, not a bot-wide flood

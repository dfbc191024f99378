"""The in-process "read model moved" signal reaches its listeners only while they listen."""

from __future__ import annotations

from projections.moves import ReadModelMoves


def test_a_listener_is_told_of_each_move_while_it_listens_and_not_after() -> None:
    moves = ReadModelMoves()
    heard: list[str] = []

    with moves.listening(lambda: heard.append("a")):
        with moves.listening(lambda: heard.append("b")):
            moves.moved()
        moves.moved()
    moves.moved()

    assert heard == ["a", "b", "a"]

"""
Which box goes above which in each column, and at what height — the steps Graphviz's ``dot`` takes
after ranking, for a picture whose columns (stages) are given.

An arrow that spans several columns gets a waypoint in each column it crosses: a slot kept free
between that column's boxes, so the arrow passes between them instead of over them. Columns are
then sorted by the mean position of what each item connects to (barycentre sweeps, left to right
and back, keeping the order with the fewest crossings), and each item is set as level with its
neighbours as the boxes above and below it allow (a least-squares fit, solved exactly by pooling
adjacent violators).
"""

import itertools

SWEEPS, ALIGN_ROUNDS = 8, 12


def waypoints(edges, column_of):
    """
    ``(chains, items)``: for each edge the items it passes, ``[source, waypoint…, target]``, and the
    waypoints by column. A waypoint is ``("~", edge index, column)``.
    """
    chains, items = [], {}
    for index, edge in enumerate(edges):
        start, end = column_of[edge.source], column_of[edge.target]
        step = 1 if end >= start else -1
        passed = [("~", index, column) for column in range(start + step, end, step)]
        for waypoint in passed:
            items.setdefault(waypoint[2], []).append(waypoint)
        chains.append([edge.source, *passed, edge.target])
    return chains, items


def neighbours(chains, column_of):
    """``(left, right)``: what each item connects to in the column before it and in the column after it."""
    left, right = {}, {}
    for chain in chains:
        for one, other in itertools.pairwise(chain):
            a, b = column_of(one), column_of(other)
            if abs(a - b) != 1:
                continue  # an arrow within one column pulls on neither side
            first, second = (one, other) if a < b else (other, one)
            right.setdefault(first, []).append(second)
            left.setdefault(second, []).append(first)
    return left, right


def order(columns, left, right):
    """Each column's items sorted to reduce crossings; ``columns`` is a list of lists, left to right."""
    best, fewest = [list(column) for column in columns], _crossings(columns, right)
    current = [list(column) for column in columns]
    for _sweep in range(SWEEPS):
        for index in range(1, len(current)):
            current[index] = _by_barycentre(current[index], current[index - 1], left)
        for index in range(len(current) - 2, -1, -1):
            current[index] = _by_barycentre(current[index], current[index + 1], right)
        crossings = _crossings(current, right)
        if crossings < fewest:
            best, fewest = [list(column) for column in current], crossings
    return best


def _by_barycentre(column, beside, linked):
    position = {item: index for index, item in enumerate(beside)}
    scale = len(beside) / max(len(column), 1)

    def key(pair):
        index, item = pair
        found = [position[other] for other in linked.get(item, []) if other in position]
        return (sum(found) / len(found) if found else index * scale, index)

    return [item for _index, item in sorted(enumerate(column), key=key)]


def _crossings(columns, right):
    total = 0
    for column, following in itertools.pairwise(columns):
        position = {item: index for index, item in enumerate(following)}
        segments = [
            (index, position[other])
            for index, item in enumerate(column)
            for other in right.get(item, [])
            if other in position
        ]
        total += sum(1 for (a, b), (c, d) in itertools.combinations(segments, 2) if (a - c) * (b - d) < 0)
    return total


def heights(columns, size, left, right, gap):
    """
    ``{item: top}``: each column stacked in its order, ``gap`` apart, each item as level with its
    neighbours as the column allows; the highest item's top is 0. ``size(item)`` is its height.
    """
    top = {}
    for column in columns:
        y = 0
        for item in column:
            top[item], y = y, y + size(item) + gap

    def centre(item):
        return top[item] + size(item) / 2

    for round_number in range(ALIGN_ROUNDS):
        last = round_number == ALIGN_ROUNDS - 1
        sweeps = [(range(1, len(columns)), left), (range(len(columns) - 2, -1, -1), right)]
        for indexes, linked in sweeps:
            for index in indexes:
                column = columns[index]
                wanted = []
                for item in column:
                    found = [centre(other) for other in linked.get(item, [])]
                    found += [centre(other) for other in (left if linked is right else right).get(item, [])] * last
                    wanted.append(sum(found) / len(found) if found else centre(item))
                for item, y in zip(column, _pack([size(item) for item in column], wanted, gap), strict=True):
                    top[item] = y
    _within_the_tallest(columns, top, size, gap)
    highest = min(top.values(), default=0)
    return {item: y - highest for item, y in top.items()}


def _within_the_tallest(columns, top, size, gap):
    """
    Keep every column inside the height of the tallest stack, so levelling never makes the picture
    taller than its busiest column needs: a column spread wider is stacked again around its middle,
    and one lying above or below that band moves into it.
    """
    stacks = [sum(size(item) + gap for item in column) - gap for column in columns if column]
    if not stacks:
        return
    band = max(stacks)
    centres = sorted(top[item] + size(item) / 2 for column in columns for item in column)
    lowest = centres[len(centres) // 2] - band / 2  # the band sits around the picture's median box
    for column in (column for column in columns if column):
        first, last = top[column[0]], top[column[-1]] + size(column[-1])
        if last - first > band:
            y = (first + last) / 2 - (sum(size(item) + gap for item in column) - gap) / 2
            for item in column:
                top[item], y = y, y + size(item) + gap
            first, last = top[column[0]], top[column[-1]] + size(column[-1])
        shift = max(lowest - first, 0) or min(lowest + band - last, 0)
        for item in column:
            top[item] += shift


def _pack(sizes, wanted_centres, gap):
    """Tops, in order and ``gap`` apart at least, whose centres are nearest ``wanted_centres`` (least squares)."""
    offsets = list(itertools.accumulate([0, *(size + gap for size in sizes[:-1])]))
    targets = [centre - size / 2 - offset for centre, size, offset in zip(wanted_centres, sizes, offsets, strict=True)]
    blocks = []  # [sum, count] of pooled targets; the fitted values never decrease
    for target in targets:
        blocks.append([target, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    fitted = [total / count for total, count in blocks for _ in range(count)]
    return [value + offset for value, offset in zip(fitted, offsets, strict=True)]

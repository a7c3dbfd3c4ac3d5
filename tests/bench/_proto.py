import cProfile, pstats
from tests.bench.harness import in_process_stack
from tests.bench.workload import RatingMix, demo_subjects, province
with in_process_stack() as s:
    mix = RatingMix(demo_subjects(), province())
    bodies=[b for _, b in zip(range(150), mix)]
    pr=cProfile.Profile(); pr.enable()
    for b in bodies: s.post_rating(b)
    pr.disable()
    import sys
    pstats.Stats(pr, stream=sys.stderr).sort_stats("cumulative").print_stats(45)

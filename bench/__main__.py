"""Run every benchmark and print its figures: `make bench` (or `.venv/bin/python -m bench`)."""
from bench import live_latency, matching, notify_throughput, page_weight

if __name__ == "__main__":
    page_weight.main()
    notify_throughput.main()
    live_latency.main()
    matching.main()

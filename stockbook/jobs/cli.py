"""``stockbook jobs worker`` (the huey consumer: queued tasks and periodic schedules),
``stockbook jobs run-once TASK`` (run one task now in this process, e.g. from cron),
``stockbook jobs enqueue TASK`` (hand one to the worker) and ``stockbook jobs list``."""
import json
import logging
import sys


def register(sub):
    p = sub.add_parser("jobs", help="background jobs: worker, run-once, enqueue, list")
    jsub = p.add_subparsers(dest="jobs_cmd", required=True)
    q = jsub.add_parser("worker", help="run the job worker (huey consumer) until SIGINT/SIGTERM")
    q.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    q.add_argument("--no-periodic", action="store_true", help="do not run periodic tasks in this worker")
    q.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    q.set_defaults(run=run_worker)
    q = jsub.add_parser("run-once", help="run one task now, in this process (no worker needed)")
    q.add_argument("task", help="task name, e.g. backup or scheduled_backup (see `jobs list`)")
    q.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE", help="keyword argument (repeatable)")
    q.set_defaults(run=run_once)
    q = jsub.add_parser("enqueue", help="put one task on the queue for the worker")
    q.add_argument("task")
    q.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE")
    q.set_defaults(run=run_enqueue)
    q = jsub.add_parser("list", help="registered tasks and their schedules")
    q.set_defaults(run=run_list)


def _fail(msg: str, code: int = 2) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def _kwargs(pairs) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"--arg wants KEY=VALUE, not {pair!r}")
        out[key] = value
    return out


def _setup():
    """Configure the storage and import every tasks module; → the huey instance."""
    from .queue import configure, discover, huey

    configure()
    discover()
    return huey


def run_worker(args) -> int:
    from .queue import describe_url

    if args.workers < 1:
        return _fail("--workers must be at least 1")
    try:
        huey = _setup()
    except (ValueError, ImportError) as e:
        return _fail(str(e))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("stockbook.jobs").info("job worker on %s, %d thread(s), periodic tasks %s",
                                             describe_url(huey.url), args.workers, "off" if args.no_periodic else "on")
    consumer = huey.create_consumer(workers=args.workers, worker_type="thread", periodic=not args.no_periodic)
    consumer.run()
    return 0


def run_once(args) -> int:
    from .queue import find

    try:
        _setup()
        task = find(args.task)
        kwargs = _kwargs(args.arg)
    except (LookupError, ValueError, ImportError) as e:
        return _fail(str(e))
    try:
        result = task(kwargs=kwargs).execute()  # what the worker would run, here and now
    except Exception as e:  # a task's failure, told without a traceback
        return _fail(f"{args.task} failed: {e}", 1)
    if result is not None:
        print(json.dumps(result, ensure_ascii=False, default=str, indent=2))
    return 0


def run_enqueue(args) -> int:
    from .queue import describe_url, find, huey

    try:
        _setup()
        task = find(args.task)
        kwargs = _kwargs(args.arg)
    except (LookupError, ValueError, ImportError) as e:
        return _fail(str(e))
    t = task(kwargs=kwargs)
    huey.enqueue(t)
    print(f"queued {t.name} {t.id} on {describe_url(huey.url)}")
    return 0


def run_list(args) -> int:
    from .queue import describe_url, huey, schedules

    try:
        tasks = _setup()._registry._registry
    except (ValueError, ImportError) as e:
        return _fail(str(e))
    print(f"queue: {describe_url(huey.url)}")
    for name in sorted(tasks):
        when = schedules.get(name) or ("periodic" if hasattr(tasks[name], "validate_datetime") else "on demand")
        print(f"{name:<48} {when}")
    return 0

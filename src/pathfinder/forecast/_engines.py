"""Two engines, one chunk function: pandas in this process, or Apache Spark over partitions.

Both call :func:`~pathfinder.forecast._chunk.forecast_chunk` on the same learner bounds of the same
kernel, so their rows agree by construction; only where the work runs differs.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pathfinder.errors import ConfigError
from pathfinder.forecast._aggregate import DIMENSIONS, SUMS, partial_sums
from pathfinder.forecast._chunk import SCHEMA, chunk_bounds, forecast_chunk
from pathfinder.forecast._kernel import ForecastKernel

__all__ = ["ProgressFn", "run_local", "run_spark", "spark_session"]

log = logging.getLogger(__name__)

#: Called with (chunks done, chunks in all, rows written so far).
ProgressFn = Callable[[int, int, int], None]
_FILE_SCHEMA = pa.schema([f for f in SCHEMA if f.name != "horizon_days"])


def _write_chunk(frame: pd.DataFrame, out: Path, chunk: int) -> None:
    """One Parquet file per horizon, hive-partitioned as ``horizon_days=H/``."""
    for horizon, part in frame.groupby("horizon_days", sort=True):
        folder = out / f"horizon_days={int(horizon)}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(
            part.drop(columns="horizon_days"), schema=_FILE_SCHEMA, preserve_index=False
        )
        pq.write_table(table, folder / f"part-{chunk:05d}.parquet")


def run_local(
    kernel: ForecastKernel, chunk_size: int, out: Path, progress: ProgressFn | None = None
) -> tuple[int, dict[str, pd.DataFrame]]:
    """Forecast every chunk in this process; returns rows written and the partial sums."""
    bounds = chunk_bounds(kernel.n_learners, chunk_size)
    sums: dict[str, list[pd.DataFrame]] = {name: [] for name in DIMENSIONS}
    rows = 0
    for k, (start, stop) in enumerate(bounds):
        frame = forecast_chunk(kernel, start, stop)
        _write_chunk(frame, out, k)
        for name, part in partial_sums(frame).items():
            sums[name].append(part)
        rows += len(frame)
        if progress is not None:
            progress(k + 1, len(bounds), rows)
    return rows, {name: pd.concat(parts, ignore_index=True) for name, parts in sums.items()}


# ---------------------------------------------------------------------- Spark
_KERNELS: dict[str, ForecastKernel] = {}


def _kernel_at(path: str) -> ForecastKernel:
    """The kernel of ``path``, loaded once per Python worker process."""
    if path not in _KERNELS:
        _KERNELS.clear()
        _KERNELS[path] = ForecastKernel.load(Path(path))
    return _KERNELS[path]


def _chunks_fn(kernel_ref: str, shipped: bool) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        if shipped:
            from pyspark import SparkFiles

            path = SparkFiles.get(kernel_ref)
        else:
            path = kernel_ref
        kernel = _kernel_at(path)
        for batch in batches:
            for start, stop in zip(batch["start"].tolist(), batch["stop"].tolist(), strict=True):
                frame = forecast_chunk(kernel, int(start), int(stop))
                for a in range(0, len(frame), 100_000):  # bounded Arrow batches
                    yield frame.iloc[a : a + 100_000]

    return run


_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


@contextmanager
def _quiet_pandas_warning() -> Iterator[None]:
    """PySpark 4 warns that pandas >= 3 is "not fully supported"; the forecast passes only
    plain string, int32 and float64 columns, and a test checks them row for row against the
    local engine, so that one warning is silenced around Spark calls."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        yield


def spark_session(master: str | None = None) -> Any:
    """The active SparkSession, or a new quiet one (``local[2]`` unless ``master`` is given).

    The Python workers run this interpreter, Arrow transfers pandas frames, the UI and console
    progress bars are off and shuffles use few partitions (the forecast shuffles only aggregates).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise ConfigError(
            "the spark engine needs PySpark: pip install 'pathfinder[spark]' (and Java 17+)"
        ) from err
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log4j = Path(tempfile.gettempdir()) / "pathfinder-spark-log4j2.properties"
    if not log4j.exists():
        log4j.write_text(_LOG4J, encoding="utf-8")
    builder = (
        SparkSession.builder.master(master or os.environ.get("PATHFINDER_SPARK_MASTER", "local[2]"))
        .appName("pathfinder-forecast")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", os.environ.get("PATHFINDER_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.python.worker.reuse", "true")
        .config("spark.sql.sources.partitionOverwriteMode", "static")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile=file:{log4j}")
    )
    with _quiet_pandas_warning():
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark_type(t: pa.DataType) -> Any:
    from pyspark.sql import types as T

    if pa.types.is_string(t):
        return T.StringType()
    if pa.types.is_int32(t):
        return T.IntegerType()
    if pa.types.is_int64(t):
        return T.LongType()
    return T.DoubleType()


def _watch(spark: Any, progress: ProgressFn, total: int, stop: threading.Event) -> None:
    """Report finished tasks of the running Spark job (one task per chunk)."""
    tracker = spark.sparkContext.statusTracker()
    last = -1
    while not stop.wait(0.5):
        done = 0
        for stage in tracker.getActiveStageIds():
            info = tracker.getStageInfo(stage)
            if info is not None and info.numTasks == total:
                done = max(done, info.numCompletedTasks)
        if done != last and done > 0:
            progress(done, total, -1)
            last = done


def run_spark(
    kernel: ForecastKernel,
    kernel_dir: Path,
    chunk_size: int,
    out: Path,
    progress: ProgressFn | None = None,
    spark: Any = None,
) -> tuple[int, dict[str, pd.DataFrame]]:
    """Forecast every chunk as a Spark task (``mapInPandas``), write with Spark, sum with Spark.

    The kernel is saved to ``kernel_dir``; a local master reads it there, a cluster gets it
    through ``SparkContext.addFile`` (each executor loads it once per Python worker).
    """
    spark = spark or spark_session()
    with _quiet_pandas_warning():
        return _run_spark(spark, kernel, kernel_dir, chunk_size, out, progress)


def _run_spark(
    spark: Any,
    kernel: ForecastKernel,
    kernel_dir: Path,
    chunk_size: int,
    out: Path,
    progress: ProgressFn | None,
) -> tuple[int, dict[str, pd.DataFrame]]:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    kernel.save(kernel_dir)
    sc = spark.sparkContext
    shipped = not str(sc.master).startswith("local")
    if shipped:
        sc.addFile(str(kernel_dir), recursive=True)
    bounds = chunk_bounds(kernel.n_learners, chunk_size)
    specs = sc.parallelize(
        [(k, a, b) for k, (a, b) in enumerate(bounds)], numSlices=max(len(bounds), 1)
    ).toDF("chunk int, start long, stop long")
    schema = T.StructType([T.StructField(f.name, _spark_type(f.type), True) for f in SCHEMA])
    ref = kernel_dir.name if shipped else str(kernel_dir)
    rows_df = specs.mapInPandas(_chunks_fn(ref, shipped), schema=schema)
    stop = threading.Event()
    watcher = None
    if progress is not None:
        watcher = threading.Thread(
            target=_watch, args=(spark, progress, len(bounds), stop), daemon=True
        )
        watcher.start()
    try:
        rows_df.write.mode("overwrite").partitionBy("horizon_days").parquet(str(out))
    finally:
        stop.set()
        if watcher is not None:
            watcher.join()
    written = spark.read.parquet(str(out))
    terms = [
        F.lit(1).cast("long").alias("learners"),
        (F.col("target") > 0).cast("long").alias("targeted"),
    ]
    for x in ("now", "no_learning", "with_path"):
        terms += [
            F.col(f"gap_{x}").alias(f"sum_gap_{x}"),
            F.col(f"weighted_gap_{x}").alias(f"sum_weighted_gap_{x}"),
            F.col(f"proficiency_{x}").alias(f"sum_proficiency_{x}"),
            (F.col(f"gap_{x}") > 0).cast("long").alias(f"below_{x}"),
        ]
    sums: dict[str, pd.DataFrame] = {}
    for name, keys in DIMENSIONS.items():
        cols = [*keys, "horizon_days"]
        base = written.select(*cols, *terms)
        agg = base.groupBy(*cols).agg(*[F.sum(c).alias(c) for c in SUMS])
        sums[name] = agg.toArrow().to_pandas()  # not toPandas: it trips on pandas 3
    n_rows = written.count()
    if progress is not None:
        progress(len(bounds), len(bounds), n_rows)
    return n_rows, sums

"""Read a CSV, TSV or Parquet file as shards of exactly ``shard_rows`` rows: row_id, text (bytes), label.

Text is read as bytes and decoded row by row later, so one undecodable row is recorded instead of failing the
whole file. Shard k always holds rows k·shard_rows … (k+1)·shard_rows − 1, which is what makes a rerun resumable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import pyarrow as pa

from attnviz.errors import InputError

FORMATS = (".csv", ".tsv", ".parquet")
INPUT_SCHEMA = pa.schema([("row_id", pa.int64()), ("text", pa.binary()), ("label", pa.string())])
_MAX_MALFORMED = 1000


@dataclass
class Source:
    """An input file and the columns to read; ``malformed`` collects lines the CSV parser had to skip."""

    path: Path
    text_column: str
    label_column: str | None
    label_names: Sequence[str]
    limit: int | None = None
    malformed: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.path.suffix.lower() not in FORMATS:
            raise InputError(f"{self.path.name}: the input must be a .csv, .tsv or .parquet file.")
        if not self.path.is_file():
            raise InputError(f"No such input file: {self.path}")

    def estimated_rows(self) -> int:
        """Rows to expect: exact for Parquet, lines minus the header for CSV/TSV (quoted newlines overcount)."""
        if self.path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            total = pq.ParquetFile(self.path).metadata.num_rows
        else:
            with self.path.open("rb") as f:
                total = max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1)
        return total if self.limit is None else min(total, self.limit)

    def shards(self, shard_rows: int) -> Iterator[tuple[int, pa.Table]]:
        """(shard index, table in ``INPUT_SCHEMA``) for consecutive shards of ``shard_rows`` rows."""
        pending: list[pa.RecordBatch] = []
        held = 0
        next_id = 0
        index = 0
        for batch in self._batches():
            if self.limit is not None:
                batch = batch.slice(0, max(0, self.limit - next_id - held))
            pending.append(batch)
            held += batch.num_rows
            while held >= shard_rows:
                table = pa.Table.from_batches(pending).combine_chunks()
                yield index, self._shard(table.slice(0, shard_rows), next_id)
                rest = table.slice(shard_rows)
                pending, held = rest.to_batches(), rest.num_rows
                next_id += shard_rows
                index += 1
            if self.limit is not None and next_id + held >= self.limit:
                break
        if held:
            yield index, self._shard(pa.Table.from_batches(pending), next_id)

    def _shard(self, table: pa.Table, first_id: int) -> pa.Table:
        n = table.num_rows
        labels = None
        if self.label_column is not None:
            labels = [label_name(v, self.label_names) for v in table.column("label").to_pylist()]
        return pa.table(
            {
                "row_id": pa.array(range(first_id, first_id + n), pa.int64()),
                "text": table.column("text").cast(pa.binary()),
                "label": pa.array(labels if labels is not None else [None] * n, pa.string()),
            },
            schema=INPUT_SCHEMA,
        )

    def _columns(self) -> dict[str, str]:
        names = {self.text_column: "text"}
        if self.label_column is not None:
            names[self.label_column] = "label"
        return names

    def _batches(self) -> Iterator[pa.RecordBatch]:
        wanted = self._columns()
        if self.path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            file = pq.ParquetFile(self.path)
            self._check_columns(file.schema_arrow.names)
            for batch in file.iter_batches(batch_size=8192, columns=list(wanted)):
                yield batch.rename_columns([wanted[name] for name in batch.schema.names])
            return
        yield from self._csv_batches(wanted)

    def _csv_batches(self, wanted: dict[str, str]) -> Iterator[pa.RecordBatch]:
        from pyarrow import csv

        tsv = self.path.suffix.lower() == ".tsv"
        with self.path.open("rb") as f:
            header = f.readline().decode("utf-8", errors="replace").rstrip("\r\n")
        self._check_columns([h.strip() for h in header.split("\t" if tsv else ",")])
        reader = csv.open_csv(
            self.path,
            read_options=csv.ReadOptions(block_size=1 << 20, use_threads=False),
            # SST-2 and most TSV exports use quote characters as text, not as CSV quoting.
            parse_options=csv.ParseOptions(
                delimiter="\t" if tsv else ",", quote_char=False if tsv else '"', invalid_row_handler=self._malformed
            ),
            convert_options=csv.ConvertOptions(
                include_columns=list(wanted),
                column_types={name: (pa.binary() if role == "text" else pa.string()) for name, role in wanted.items()},
                strings_can_be_null=False,
            ),
        )
        for batch in reader:
            yield batch.rename_columns([wanted[name] for name in batch.schema.names])

    def _check_columns(self, names: Sequence[str]) -> None:
        missing = [c for c in self._columns() if c not in names]
        if missing:
            raise InputError(f"{self.path.name} has no column {missing[0]!r}; its columns are {list(names)[:20]}.")

    def _malformed(self, row) -> str:
        if len(self.malformed) < _MAX_MALFORMED:
            where = f"line {row.number}" if row.number is not None else "a line"
            self.malformed.append(
                {"line": row.number, "error": f"{where}: expected {row.expected_columns} columns, found "
                 f"{row.actual_columns}", "text": (row.text or "")[:200]}
            )
        return "skip"


def label_name(value: object, label_names: Sequence[str]) -> str | None:
    """A gold label as a name: integers index ``label_names`` (as ``attnviz.evaluate`` reads them), names stay."""
    if value is None:
        return None
    text = str(value).strip()
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(label_names):
        return str(label_names[int(text)])
    return text or None

"""Rows kept on disk until their table's turn: a load has one COPY open at a time, yet one pass over
the volunteers produces rows of several tables. Chunks are pickled to a temporary file, so memory stays
flat whatever the size of the set."""
import pickle
import tempfile

CHUNK = 20_000


class Spool:
    def __init__(self):
        self._file = tempfile.TemporaryFile()
        self._chunk: list[tuple] = []
        self.count = 0

    def add(self, row: tuple):
        self._chunk.append(row)
        self.count += 1
        if len(self._chunk) >= CHUNK:
            self._flush()

    def _flush(self):
        if self._chunk:
            pickle.dump(self._chunk, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._chunk = []

    def rows(self):
        """Every row in the order added; the spool is closed afterwards."""
        self._flush()
        self._file.seek(0)
        try:
            while True:
                try:
                    chunk = pickle.load(self._file)
                except EOFError:
                    return
                yield from chunk
        finally:
            self._file.close()

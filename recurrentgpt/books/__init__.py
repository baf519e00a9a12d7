"""Books in and out: Markdown, plain text, EPUB and DOCX writers and readers.

- :mod:`~recurrentgpt.books.manuscript`: :class:`Book` as plain data, limits, cleaning.
- :mod:`~recurrentgpt.books.plain`: plain text and Markdown readers.
- :mod:`~recurrentgpt.books.epub_book`: EPUB 3 (ebooklib).
- :mod:`~recurrentgpt.books.docx_book`: Word documents (python-docx).
- :mod:`~recurrentgpt.books.reading`: a file or a graph input to a checked :class:`Book`.

Nothing here knows the graph; the import node (:mod:`recurrentgpt.nodes.importer`)
and :mod:`recurrentgpt.export` use it.
"""

from recurrentgpt.books.manuscript import Book, BookChapter, Manuscript, ManuscriptError
from recurrentgpt.books.reading import FORMATS, MAX_FILE_BYTES, book_from_input, read_book_file

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "Book",
    "BookChapter",
    "Manuscript",
    "ManuscriptError",
    "book_from_input",
    "read_book_file",
]

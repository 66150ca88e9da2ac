"""The document-issuing engine every feature uses: the register of issued documents, their stored PDFs,
verification tokens and short codes, document kinds, issue/revoke/reissue, and the public lookups.

A feature defines its documents as `DocumentKind` constants (portal/kinds.py lists them) and calls
`issue_document()`; the certificates feature owns the pages (register, download, verification).
Imports only portal.platform and portal.registry.
"""

"""Place-name register: versioned records, editing with review, bulk import/export and public search."""

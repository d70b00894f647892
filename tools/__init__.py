"""Support for the tests, the scripts and the benchmarks, outside the running system (not
packaged): a sample movement written straight into the database to render documents from
(sample_movement), and the Nghị định 30/2020 layout in python-docx terms that
scripts/make-docx-templates.py builds the Word templates with (docx_layout)."""

"""Server-rendered pages (Jinja2 templates in ../templates): read a form, call a service,
render."""

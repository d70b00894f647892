"""The web portal: unit focal points, council members and admins, over the same domain calls
as the CLI and the flows (see thidua.web.app.create_app)."""

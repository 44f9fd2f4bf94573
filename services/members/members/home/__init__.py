"""The home pages' frames (« Accueil » of a company and of staff), with members' own part, the contact and help
pages. The other services' parts are included by the gateway (portal_common.web.home)."""

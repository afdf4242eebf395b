"""What a recall asks of a staff member, the same on the lot page and over the API."""

SEE_RECIPIENTS = ["inventory.view_lot", "treatments.view_visit"]
CONTACT = ["inventory.view_lot", "inventory.contact_lot_recipients"]
RECALL = ["inventory.view_lot", "inventory.change_lot"]

// The modes of the page: which scan action each sends, which context it needs first, and
// which settings it shows. The server stays stateless: the context travels with each scan.
export const MODES = {
  lookup: { action: "lookup", fields: [], help: "Scan anything to see what it is." },
  move: {
    action: "move",
    needs: "location",
    fields: ["location", "quantity"],
    help: "Scan a location label to choose where things go, then scan the items.",
  },
  check_out: {
    action: "check_out",
    needs: "person",
    fields: ["person", "due", "quantity", "finish"],
    help: "Scan or pick the person, then scan what they take. Finish when done.",
  },
  check_in: {
    action: "check_in",
    fields: ["location", "condition"],
    help: "Scan what comes back. A location label sets where it goes (optional).",
  },
  receive: {
    action: "receive",
    needs: "location",
    fields: ["location", "quantity"],
    help: "Scan the location, set the quantity, then scan the item's barcode.",
  },
  consume: {
    action: "consume",
    needs: "location",
    fields: ["location", "quantity"],
    help: "Scan the location, set the quantity, then scan the item's barcode.",
  },
  audit: {
    action: "audit",
    needs: "audit",
    fields: ["location", "audit"],
    help: "Scan or pick the location to count, then scan everything on it.",
  },
  kiosk: {
    action: "check_out",
    fields: ["kiosk"],
    help: "Scan your badge to borrow. Scan an item on its own to return it.",
  },
};

export const NEEDS = {
  location: "Scan a location label first (or pick one).",
  person: "Scan the person's badge first (or pick them).",
  audit: "Scan or pick the location to audit first.",
};

// Undo sends the opposite scan; moves and returns need the event's "from" side.
export const UNDO = {
  move: { label: "Undo move", reverse: "move", from: "from_location" },
  check_out: { label: "Undo check-out", reverse: "check_in" },
  check_in: { label: "Undo check-in", reverse: "check_out", from: "from_person" },
  receive: { label: "Undo receive", reverse: "consume" },
  consume: { label: "Undo consume", reverse: "receive" },
};

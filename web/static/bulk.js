// Bulk actions on a units list (_bulk.html): "select all on this page" and how many are
// selected. The form works without this file: a plain post of the ticked boxes.
const form = document.getElementById("bulk-form");

if (form) {
  const boxes = () => [...document.querySelectorAll('input[type="checkbox"][name="unit"][form="bulk-form"]')];
  const all = document.querySelector("input[data-select-all]");
  const count = form.querySelector("[data-bulk-count]");

  const update = () => {
    const list = boxes();
    const n = list.filter((box) => box.checked).length;
    if (count) count.textContent = n ? `(${n} selected)` : "";
    if (all) {
      all.checked = n > 0 && n === list.length;
      all.indeterminate = n > 0 && n < list.length;
    }
  };

  const tools = document.querySelector("[data-bulk-tools]");
  if (tools) tools.hidden = false;
  if (all) {
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
      update();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === "unit") update();
  });
  update(); // boxes a reload or the back button left ticked
}

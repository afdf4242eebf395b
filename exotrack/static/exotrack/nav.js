// On a phone the tabs are one row that scrolls sideways: bring the current page's tab
// into view, so a manager deep in the list still sees where they are.
document.addEventListener("DOMContentLoaded", () => {
  const current = document.querySelector(".mainnav a[aria-current='page']");
  const bar = current && current.closest(".mainnav");
  if (bar && bar.scrollWidth > bar.clientWidth) {
    const from = current.getBoundingClientRect().left - bar.getBoundingClientRect().left;
    bar.scrollLeft += from - (bar.clientWidth - current.offsetWidth) / 2;
  }
});

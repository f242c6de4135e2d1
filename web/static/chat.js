// Citations in the chat: a click on [n] opens that source under the answer, scrolls to it and flashes the
// highlighted span. One listener on the document, since Gradio re-renders messages as they stream.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.sanad-cite");
  if (!link) return;
  event.preventDefault();
  const source = document.getElementById(link.getAttribute("href").slice(1));
  if (!source) return;
  source.open = true;
  source.scrollIntoView({ behavior: "smooth", block: "nearest" });
  source.classList.remove("sanad-flash");
  void source.offsetWidth; // restart the animation when the same source is clicked again
  source.classList.add("sanad-flash");
});

/* Loaded in <head>, not deferred: marks the page as scripted before it is painted, so the
 * stylesheet folds the menus on phones only when static/js/ui.js will be there to open them. */
document.documentElement.classList.add("js");

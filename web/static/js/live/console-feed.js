// The console's comment column: the live feed (operators also see hidden comments, greyed, with
// the reason), per-comment actions (hide, feature on the overlay, mute the user, mark a question
// answered), the featured comment, open questions, and the block-word editor.
//
// Nicknames and comment text come from the public: they are only ever set as textContent.

import {list as joinList, t} from "../i18n.js";
import {el, fill, timeOfDay} from "./dom.js";

const $ = (id) => document.getElementById(id);
const KIND_TAGS = {gift: t("gift")};

export function setupFeed({live, send, toast, confirmAction}) {
  const list = $("comments");
  const rendered = new Map(); // comment id -> {node, signature}
  const zone = () => live.view.show?.timezone;
  const openQuestions = () => new Set((live.view.questions || []).map((q) => q.id));
  const muted = () => new Set(live.view.moderation?.muted || []);

  const actions = (comment, {answerable, featured, isMuted}) => {
    const box = el("div", "actions");
    const button = (label, title, handler) => {
      const node = el("button", "small", label, {type: "button", title});
      node.addEventListener("click", (event) => {
        event.stopPropagation();
        handler(node);
      });
      box.append(node);
    };
    if (!comment.hidden) {
      button(t("Hide"), t("Hide this comment"), (b) => send("comment.hide", {id: comment.id}, {button: b}));
      if (featured) {
        button(t("Unfeature"), t("Take it off the overlay"),
               (b) => send("comment.feature", {id: null}, {button: b}));
      } else {
        button(t("Feature"), t("Feature on the overlay"),
               (b) => send("comment.feature", {id: comment.id}, {button: b}));
      }
    }
    if (answerable) {
      button(t("Answered"), t("Mark answered"),
             (b) => send("question.answered", {id: comment.id}, {button: b}));
    }
    if (comment.user_id && !isMuted) {
      button(t("Mute"), t("Mute this user"), async (b) => {
        const sure = await confirmAction(t("Mute {name}?", {name: comment.nickname || comment.user_id}),
          t("Their later comments are hidden from screens and overlays (this cannot be undone yet)."));
        if (sure) send("user.mute", {platform: comment.platform, user_id: comment.user_id}, {button: b});
      });
    }
    return box;
  };

  const commentNode = (comment, flags) => {
    const item = el("li", "comment", null, {"data-id": comment.id, "data-kind": comment.kind});
    item.classList.toggle("hidden", Boolean(comment.hidden));
    item.classList.toggle("question", Boolean(comment.question));
    item.classList.toggle("intent", Boolean(comment.intent));
    item.classList.toggle("featured", flags.featured);
    const line = el("div", "line");
    line.append(el("time", null, timeOfDay(comment.time, zone(), true), {datetime: comment.time}),
                el("span", "nick", comment.nickname || comment.user_id || t("anonymous")),
                el("span", "text", comment.text));
    const tags = el("div", "tags");
    if (KIND_TAGS[comment.kind]) tags.append(el("span", "tag gift", KIND_TAGS[comment.kind]));
    if (comment.question) {
      tags.append(el("span", "tag question", flags.answerable ? t("question") : t("question · answered")));
    }
    if (comment.intent) {
      tags.append(el("span", "tag intent", `${t("intent")}${comment.intent_size ? ` ${comment.intent_size}` : ""}`));
    }
    if (flags.isMuted) tags.append(el("span", "tag muted", t("muted")));
    if (comment.hidden) {
      tags.append(el("span", "tag reason", t("hidden · {reason}", {reason: comment.hidden_reason || t("moderation")})));
    }
    item.append(line, tags, actions(comment, flags));
    return item;
  };

  const renderComments = () => {
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    const questions = openQuestions();
    const featuredId = live.view.featured?.id;
    const mutedUsers = muted();
    const wanted = new Set(live.comments.map((c) => c.id));
    for (const [id, entry] of rendered) {
      if (!wanted.has(id)) {
        entry.node.remove();
        rendered.delete(id);
      }
    }
    let previous = null;
    for (const comment of live.comments) {
      const flags = {answerable: questions.has(comment.id), featured: comment.id === featuredId,
                     isMuted: mutedUsers.has(`${comment.platform}:${comment.user_id}`)};
      const signature = [comment.hidden, flags.answerable, flags.featured, flags.isMuted].join();
      let entry = rendered.get(comment.id);
      if (!entry || entry.signature !== signature) {
        const node = commentNode(comment, flags);
        if (entry) entry.node.replaceWith(node);
        else if (previous) previous.after(node);
        else list.prepend(node);
        entry = {node, signature};
        rendered.set(comment.id, entry);
      }
      previous = entry.node;
    }
    if (!live.comments.length && !list.querySelector(".empty")) {
      list.append(el("li", "empty", t("No comments yet")));
    } else if (live.comments.length) {
      list.querySelector(".empty")?.remove();
    }
    if (nearBottom) list.scrollTop = list.scrollHeight; // follow the feed unless scrolled back
  };

  const renderFeatured = () => {
    const featured = live.view.featured;
    const box = $("featured");
    box.hidden = !featured;
    if (!featured) {
      box.replaceChildren();
      return;
    }
    const clear = el("button", "small", t("Unfeature"), {type: "button"});
    clear.addEventListener("click", () => send("comment.feature", {id: null}, {button: clear}));
    const body = el("div", "body");
    body.append(el("span", "nick", featured.nickname || featured.user_id || t("anonymous")),
                el("span", "text", featured.text));
    fill(box, [el("span", "label", t("Featured")), body, clear]);
  };

  const renderQuestions = () => {
    const questions = [...(live.view.questions || [])].reverse();
    $("question-count").textContent = questions.length ? String(questions.length) : "";
    fill($("questions"), questions.length ? questions.map((question) => {
      const item = el("li", "question", null, {"data-id": question.id});
      const line = el("div", "line");
      line.append(el("time", null, timeOfDay(question.time, zone()), {datetime: question.time}),
                  el("span", "nick", question.nickname || question.user_id || t("anonymous")),
                  el("span", "text", question.text));
      const box = el("div", "actions");
      const answered = el("button", "small primary", t("Answered"), {type: "button"});
      answered.addEventListener("click",
        () => send("question.answered", {id: question.id}, {button: answered}));
      const feature = el("button", "small", t("Feature"), {type: "button"});
      feature.addEventListener("click",
        () => send("comment.feature", {id: question.id}, {button: feature}));
      box.append(answered, feature);
      item.append(line, box);
      return item;
    }) : [el("li", "empty", t("No open questions"))]);
  };

  // ---- moderation ------------------------------------------------------------------------------------

  const dialog = $("moderation");
  const form = $("moderation-form");
  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
  const fillModeration = () => {
    const moderation = live.view.moderation || {words: [], patterns: [], muted: []};
    form.elements.words.value = (moderation.words || []).join("\n");
    form.elements.patterns.value = (moderation.patterns || []).join("\n");
    const names = new Map(live.comments.map((c) => [`${c.platform}:${c.user_id}`, c.nickname]));
    const mutedUsers = moderation.muted || [];
    $("muted-users").textContent = mutedUsers.length
      ? joinList(mutedUsers.map((key) => (names.get(key) ? `${names.get(key)} (${key})` : key)))
      : t("none");
  };
  $("moderation-open").addEventListener("click", () => {
    if (live.role && live.role !== "operator") {
      toast(t("Only the operator token can edit moderation"), "error", "forbidden");
      return;
    }
    fillModeration();
    dialog.showModal();
  });
  $("moderation-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ack = await send("moderation.set", {words: lines(form.elements.words.value),
                                              patterns: lines(form.elements.patterns.value)},
                           {button: form.querySelector("button[type=submit]"),
                            done: t("Moderation saved")});
    if (ack) dialog.close();
  });

  $("show-hidden").addEventListener("change", (event) => {
    list.classList.toggle("without-hidden", !event.target.checked);
  });

  live.on("state", ({keys}) => {
    if (["comments", "questions", "featured", "moderation"].some((k) => keys.has(k))) renderComments();
    if (keys.has("featured")) renderFeatured();
    if (keys.has("questions")) renderQuestions();
    if (keys.has("moderation") && !dialog.open) fillModeration();
  });
  renderComments();
  renderQuestions();
}

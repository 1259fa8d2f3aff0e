/*
 * Red-black tree: insert and erase rebalancing, with augmentation hooks.
 * The cases follow Cormen et al., "Introduction to Algorithms", ch. 13,
 * with missing children (NULL) counted as black leaves.
 *
 * In the pictures, lower case is a red node, upper case a black one, and
 * (x) a node of either colour; triangles are subtrees left untouched.
 */
#include "kernel/lib/rbtree.h"
#include "kernel/printk.h"

static inline bool is_red(const struct rb_node *n)
{
	return n && n->color == RB_RED;
}

static inline bool is_black(const struct rb_node *n)
{
	return !is_red(n);
}

/* Makes `parent`'s link to `old` (or the root) point to `new`. */
static void replace_child(struct rb_root *root, struct rb_node *parent,
			  struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

static inline void augment(struct rb_node *n, rb_augment_fn aug)
{
	if (aug && n)
		aug(n);
}

/*
 * Left rotation at x. The subtree keeps its node set, so the value cached
 * at its top does not change: only x (now lower) and y are recomputed,
 * bottom first.
 *
 *       (x)                 (y)
 *       / \                 / \
 *      a  (y)     ==>     (x)  c
 *         / \             / \
 *        b   c           a   b
 */
static void rotate_left(struct rb_node *x, struct rb_root *root, rb_augment_fn aug)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
	augment(x, aug);
	augment(y, aug);
}

/* The mirror image of rotate_left(). */
static void rotate_right(struct rb_node *x, struct rb_root *root, rb_augment_fn aug)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
	augment(x, aug);
	augment(y, aug);
}

void rb_propagate(struct rb_node *node, rb_augment_fn aug)
{
	if (!aug)
		return;
	for (; node; node = node->parent)
		if (!aug(node))
			break;
}

/* Recomputes every cached value from `node` to the root, without stopping. */
static void propagate_all(struct rb_node *node, rb_augment_fn aug)
{
	if (!aug)
		return;
	for (; node; node = node->parent)
		aug(node);
}

/*
 * Insert fix-up, for a red node z whose parent p is red (p is a left child
 * here; the right side is the mirror image). g is black since p is red.
 *
 * Case 1, uncle u red: recolour, move the problem two levels up.
 *
 *         G                   g
 *        / \                 / \
 *       p   u      ==>      P   U      then z = g
 *      /                   /
 *     z                   z
 *
 * Case 2, u black and z an inner child: rotate at p to make it case 3.
 *
 *         G                   G
 *        / \                 / \
 *       p   U      ==>      z   U      then (z, p) = (p, z)
 *        \                 /
 *         z               p
 *
 * Case 3, u black and z an outer child: rotate at g and recolour. Done.
 *
 *         G                   P
 *        / \                 / \
 *       p   U      ==>      z   g
 *      /                         \
 *     z                           U
 */
void rb_insert(struct rb_node *z, struct rb_root *root, rb_augment_fn aug)
{
	augment(z, aug);                /* the new leaf's own value first */
	rb_propagate(z->parent, aug);
	while (is_red(z->parent)) {
		struct rb_node *p = z->parent, *g = p->parent;
		bool left = p == g->left;
		struct rb_node *u = left ? g->right : g->left;

		if (is_red(u)) {                                /* case 1 */
			p->color = u->color = RB_BLACK;
			g->color = RB_RED;
			z = g;
			continue;
		}
		if (z == (left ? p->right : p->left)) {         /* case 2 */
			if (left)
				rotate_left(p, root, aug);
			else
				rotate_right(p, root, aug);
			z = p;
			p = z->parent;
		}
		p->color = RB_BLACK;                            /* case 3 */
		g->color = RB_RED;
		if (left)
			rotate_right(g, root, aug);
		else
			rotate_left(g, root, aug);
		break;
	}
	root->node->color = RB_BLACK;
}

/*
 * Erase fix-up. x (maybe NULL) sits where a black node was removed, so
 * every path through x is one black short; x is black (or NULL) and a
 * left child of `parent` here (the right side is the mirror image). Its
 * sibling w exists: the other side had at least one black node more.
 *
 * Case 1, w red: rotate at the parent so that x gets a black sibling.
 *
 *         P                   W
 *        / \                 / \
 *       X   w      ==>      p   D
 *          / \             / \
 *         C   D           X   C        (C is x's new sibling)
 *
 * Case 2, w black with two black children: take one black off both
 * sides by making w red; the parent carries the shortage up.
 *
 *        (p)                 (p)       then x = p: done if p was red
 *        / \                 / \       (it is made black at the end)
 *       X   W      ==>      X   w
 *          / \                 / \
 *         C   D               C   D
 *
 * Case 3, w black, its inner child c red, its outer child D black:
 * rotate at w to turn it into case 4.
 *
 *        (p)                 (p)
 *        / \                 / \
 *       X   W      ==>      X   C
 *          / \                   \
 *         c   D                   w
 *                                  \
 *                                   D
 *
 * Case 4, w black with a red outer child d: rotate at the parent, which
 * gives the x side one more black node. Done.
 *
 *        (p)                 (w)       w takes p's colour
 *        / \                 / \
 *       X   W      ==>      P   D
 *          / \             / \
 *        (c)  d           X  (c)
 */
static void erase_fixup(struct rb_node *x, struct rb_node *parent,
			struct rb_root *root, rb_augment_fn aug)
{
	while (x != root->node && is_black(x)) {
		bool left = x == parent->left;
		struct rb_node *w = left ? parent->right : parent->left;

		if (is_red(w)) {                                        /* case 1 */
			w->color = RB_BLACK;
			parent->color = RB_RED;
			if (left)
				rotate_left(parent, root, aug);
			else
				rotate_right(parent, root, aug);
			w = left ? parent->right : parent->left;
		}
		if (is_black(w->left) && is_black(w->right)) {          /* case 2 */
			w->color = RB_RED;
			x = parent;
			parent = x->parent;
			continue;
		}
		if (is_black(left ? w->right : w->left)) {              /* case 3 */
			(left ? w->left : w->right)->color = RB_BLACK;
			w->color = RB_RED;
			if (left)
				rotate_right(w, root, aug);
			else
				rotate_left(w, root, aug);
			w = left ? parent->right : parent->left;
		}
		w->color = parent->color;                               /* case 4 */
		parent->color = RB_BLACK;
		(left ? w->right : w->left)->color = RB_BLACK;
		if (left)
			rotate_left(parent, root, aug);
		else
			rotate_right(parent, root, aug);
		x = root->node;
		break;
	}
	if (x)
		x->color = RB_BLACK;
}

static struct rb_node *leftmost(struct rb_node *n)
{
	while (n && n->left)
		n = n->left;
	return n;
}

static struct rb_node *rightmost(struct rb_node *n)
{
	while (n && n->right)
		n = n->right;
	return n;
}

/*
 * Unlinking z. With at most one child, the child takes z's place. With
 * two, z's successor y (the leftmost node of z's right subtree, which has
 * no left child) takes z's place and colour, and y's right child x takes
 * y's old place:
 *
 *          z                   y
 *         / \                 / \
 *        a   ..      ==>     a   ..
 *           /                   /
 *          y                   x
 *           \
 *            x
 *
 * Either way the colour that left the tree is that of the node whose
 * place x took; if it was black, the fix-up runs from x. The cached values
 * change from x's new parent up to the root (y, if it moved, is on that
 * path), and are recomputed before the fix-up rotates anything.
 */
void rb_erase(struct rb_node *z, struct rb_root *root, rb_augment_fn aug)
{
	struct rb_node *x, *parent;
	unsigned long removed_color = z->color;

	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		parent = z->parent;
		replace_child(root, parent, z, x);
		if (x)
			x->parent = parent;
	} else {
		struct rb_node *y = leftmost(z->right);

		removed_color = y->color;
		x = y->right;
		if (y->parent == z) {
			parent = y;
		} else {
			parent = y->parent;
			parent->left = x;
			if (x)
				x->parent = parent;
			y->right = z->right;
			y->right->parent = y;
		}
		replace_child(root, z->parent, z, y);
		y->parent = z->parent;
		y->left = z->left;
		y->left->parent = y;
		y->color = z->color;
	}
	propagate_all(parent, aug);
	if (removed_color == RB_BLACK)
		erase_fixup(x, parent, root, aug);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	return leftmost(root->node);
}

struct rb_node *rb_last(const struct rb_root *root)
{
	return rightmost(root->node);
}

struct rb_node *rb_next(const struct rb_node *node)
{
	if (node->right)
		return leftmost(node->right);
	while (node->parent && node == node->parent->right)
		node = node->parent;
	return node->parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	if (node->left)
		return rightmost(node->left);
	while (node->parent && node == node->parent->left)
		node = node->parent;
	return node->parent;
}

/* --- checking ------------------------------------------------------------ */

struct rb_check_ctx {
	const char *name;
	long nodes;
	bool broken;
};

static void check_fail(struct rb_check_ctx *c, const struct rb_node *n, const char *what)
{
	if (!c->broken)
		printk("rb_check: %s: node %p: %s\n", c->name, n, what);
	c->broken = true;
}

/* Returns the black height of the subtree at `n`, checking it on the way. */
static int check_subtree(struct rb_check_ctx *c, const struct rb_node *n)
{
	int lh, rh;

	if (!n || c->broken)
		return 1;
	c->nodes++;
	if (n->color != RB_RED && n->color != RB_BLACK)
		check_fail(c, n, "colour is neither red nor black");
	if ((n->left && n->left->parent != n) || (n->right && n->right->parent != n))
		check_fail(c, n, "a child's parent link does not point back");
	if (is_red(n) && (is_red(n->left) || is_red(n->right)))
		check_fail(c, n, "red node with a red child");
	lh = check_subtree(c, n->left);
	rh = check_subtree(c, n->right);
	if (lh != rh)
		check_fail(c, n, "black heights of the two sides differ");
	return lh + (is_black(n) ? 1 : 0);
}

long rb_check(const struct rb_root *root, const char *name)
{
	struct rb_check_ctx c = { .name = name };

	if (root->node && root->node->parent)
		check_fail(&c, root->node, "root has a parent");
	if (is_red(root->node))
		check_fail(&c, root->node, "root is red");
	check_subtree(&c, root->node);
	return c.broken ? -1 : c.nodes;
}

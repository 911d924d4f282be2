//! Cycles: strongly connected components of the impact graph (iterative Tarjan).

use itsm_core::CiId;

use crate::CmdbError;
use crate::index::{GraphIndex, NONE};

impl GraphIndex {
    /// Every cycle of the impact graph: its strongly connected components
    /// with more than one CI, or one CI with a relationship to itself.
    ///
    /// Each CI appears in at most one component. Components list their CIs
    /// in index order and come in the order of their first CI. A relationship
    /// whose impact travels both ways (`connects_to`) is a cycle of two.
    /// Iterative: a million-CI chain needs no deep stack.
    ///
    /// `relationship_types` limits the graph to those types; `None` for all.
    ///
    /// # Errors
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type.
    pub fn strongly_connected_components(
        &self,
        relationship_types: Option<&[String]>,
    ) -> Result<Vec<Vec<CiId>>, CmdbError> {
        let follow = self.type_filter(relationship_types)?;
        let n = self.len();
        // (discovery order, low link) side by side: one cache line per visit.
        let mut state = vec![[NONE, 0u32]; n];
        // A bit set: small enough to stay in cache.
        let mut on_stack = vec![0u64; n.div_ceil(64)];
        let on = |bits: &[u64], v: u32| bits[(v >> 6) as usize] & (1 << (v & 63)) != 0;
        let flip = |bits: &mut [u64], v: u32| bits[(v >> 6) as usize] ^= 1 << (v & 63);
        let mut stack: Vec<u32> = Vec::new();
        // (node, position of the next arc to look at)
        let mut call: Vec<(u32, u32)> = Vec::new();
        let mut next = 0u32;
        let mut components: Vec<Vec<u32>> = Vec::new();
        for root in 0..n as u32 {
            if state[root as usize][0] != NONE {
                continue;
            }
            state[root as usize] = [next, next];
            next += 1;
            stack.push(root);
            flip(&mut on_stack, root);
            call.push((root, 0));
            while let Some(top) = call.last_mut() {
                let v = top.0;
                let arcs = self.impact_arcs(v);
                if let Some(&arc) = arcs.get(top.1 as usize) {
                    top.1 += 1;
                    let (w, ty) = self.unpack(arc);
                    if !follow[ty as usize] {
                        continue;
                    }
                    let [w_order, _] = state[w as usize];
                    if w_order == NONE {
                        state[w as usize] = [next, next];
                        next += 1;
                        stack.push(w);
                        flip(&mut on_stack, w);
                        call.push((w, 0));
                    } else if on(&on_stack, w) {
                        let low = &mut state[v as usize][1];
                        *low = (*low).min(w_order);
                    }
                    continue;
                }
                call.pop();
                let [v_order, v_low] = state[v as usize];
                if let Some(&(parent, _)) = call.last() {
                    let low = &mut state[parent as usize][1];
                    *low = (*low).min(v_low);
                }
                if v_low == v_order {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        flip(&mut on_stack, w);
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    let cyclic = component.len() > 1
                        || self.impact_arcs(v).iter().any(|&a| {
                            let (w, ty) = self.unpack(a);
                            w == v && follow[ty as usize]
                        });
                    if cyclic {
                        component.sort_unstable();
                        components.push(component);
                    }
                }
            }
        }
        components.sort_unstable_by_key(|c| c[0]);
        Ok(components
            .into_iter()
            .map(|c| c.into_iter().map(|v| self.id(v)).collect())
            .collect())
    }

    /// Which relationship types a traversal follows, by type id.
    pub(crate) fn type_filter(
        &self,
        relationship_types: Option<&[String]>,
    ) -> Result<Vec<bool>, CmdbError> {
        let mut follow = vec![relationship_types.is_none(); self.type_count()];
        for name in relationship_types.unwrap_or_default() {
            let ty = self
                .type_id(name)
                .ok_or_else(|| CmdbError::UnknownRelationshipType { name: name.clone() })?;
            follow[ty as usize] = true;
        }
        Ok(follow)
    }
}
